"""The paper venue's Binance-dialect HTTP server (aiohttp). ``serve`` runs it; ``create_app``
builds the application for a ``VenueServer``; the admin endpoints are listed in ``admin``."""
