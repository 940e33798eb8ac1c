"""Telling people: who is told what and when (`plan`, pure), the sends and their
records (`dispatch`, a worker thread and SQL), and who delivers (`senders`)."""
