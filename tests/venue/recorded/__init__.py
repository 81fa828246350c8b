"""Real exchange responses recorded by ccxt's static tests, replayed through stock ccxt.

Each ``<venue>.json`` holds, for one exchange, the HTTP bodies ccxt's repository recorded
from the live venue (``ts/src/test/static/response/<id>.json``, MIT licence) and a few of
its unified markets (``ts/src/test/static/markets/<id>.json``), each with the path and
commit it was read from. Where a test changes a recorded body (our client id in place of
the recorded one, a partial fill), the test says so next to the change.
"""
