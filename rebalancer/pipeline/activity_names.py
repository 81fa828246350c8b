"""Activity names, shared by the workflow (which calls them by name, so it never imports
the I/O code) and the activities (which register under them)."""

REGISTER = "register_account"
RECONCILE = "reconcile"
DETECT_DRIFT = "detect_drift"
ASSESS_LIQUIDITY = "assess_liquidity"
PLACE_LIMIT_ORDER = "place_limit_order"
AWAIT_FILL = "await_fill"
CANCEL_ORDER = "cancel_order"
RECORD_CYCLE = "record_cycle"
