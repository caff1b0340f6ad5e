"""The chaos run: the production topology as local processes (2 servers, 2 workers,
1 scheduler, PostgreSQL, a Redis of its own), patients with open reminder streams, and
batches of reminders made due while a fault lands during each batch's delivery.

topology.py starts and supervises the processes (a killed one is restarted, as
`restart: unless-stopped` would); streams.py follows every patient's streams and
records each receipt; run.py is the sequence of faults; verdict.py judges the
receipts: lost, duplicated, out of order, and how late.
"""
