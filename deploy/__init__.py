"""The workshop room: JupyterHub config, trainer commands (room), a simulated attendee."""
