"""The fleet watcher: one price feed per venue screens every watched account and wakes
those whose drift left their no-trade region (``watcher``, ``fleet``)."""
