"""Remedy's operator command line, `remedy`: the control catalogue and a read-only scan of an account."""
