"""Benchmarks of anupalan against the floor, measured in the same run.

`python -m bench` starts a real Dovecot on loopback ports and prints, for each
figure, anupalan's number, the floor (the least any program doing the same job
with the same libraries must spend) and their ratio. `--smoke` runs every
figure at tiny sizes, to prove the benchmark still works; its numbers mean
nothing. See bench/RESULTS.md.
"""
