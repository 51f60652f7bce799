"""The probes behind `make stress` and tests/reliability, one module per kind of trouble.

* ``client`` - the raw signed HTTPS client, raw TLS sockets, `serve`'s export lines.
* ``service`` - a real `serve` subprocess (``ServeProcess``) and its environment (throttling off).
* ``load`` - mixed operations from SDK and raw clients (``run_load``).
* ``faults`` - SIGKILL under load, nothing acknowledged lost (``run_faults``).
* ``hostile`` - oversized bodies (``time_to_413``) and slow connections (``slowloris``).
* ``memory`` - stalled connections and the service's memory (``run_memory``).
* ``corruption`` - damaged databases (``run_corruption``).
* ``fuzz`` - generated requests (``run_fuzz``).

`benchmarks/stress.py` is their command line; import the probes from their modules.
"""
