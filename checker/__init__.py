"""The domain: verdicts, warnings, accounts, audit and statistics, and the `checker` CLI.

No Flask here: the web package calls this one, never the other way round.
"""
