"""One lock for the heavy libraries the bot imports on first use, from worker threads.

fpdf2's import hides numpy from it for a moment (`bot.forms.pdf`, to keep 11 MB out of every
bot process); a chart drawn in another thread at that moment imports matplotlib, which needs
numpy, and would fail. Both imports take this lock, so neither sees the other half done.
"""

from __future__ import annotations

import threading

LAZY_IMPORTS = threading.Lock()
