"""What the tests share: fakes of the Hub and the screencaps site, media writers, tiny
models and trainers, and the scripts the tests run in subprocesses (python -m tests.helpers.NAME)."""
