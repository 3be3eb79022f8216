"""A plugin that cannot be imported without a setting its user has not made.

Its message is ``FAILING_PLUGIN_MESSAGE`` when set (a test of one-line errors gives it two lines).
"""

import os

raise RuntimeError(os.environ.get("FAILING_PLUGIN_MESSAGE", "set PLUGIN_KEY first"))
