"""`python -m bench`: run the benchmarks (see `python -m bench --help`)."""

from bench.run import main

raise SystemExit(main())
