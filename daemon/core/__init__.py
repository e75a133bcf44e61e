"""The pure core: decisions from data, with no I/O and no clock.

Nothing in this package may import an adapter, open a file or a socket, or
read the time; the services pass `now` in.
"""
