"""The fault harness (`xietong faults`, `make faults`; docs/faults.md): a steady mixed load
over the services' REST APIs while services are killed at chosen points, paused, and the
broker and PostgreSQL restarted; then a ledger of what the services accepted, reconciled
against their databases, the topics and the consumers' effects.

    cluster    the servers, the run's databases and the six services as processes
    probe      what a service process runs at a fault point (installed by `serve`)
    serve      the launcher of a service process with the probe installed
    client     requests over HTTP, sent again until answered
    flows      what the load does, entered in the ledger
    load       workers running the flows
    ledger     what the services said they did
    nemesis    the faults and their schedule
    reconcile  the ledger against databases, topics and consumers' effects
    runner     one run, start to report; `cli`: `xietong faults`
"""
