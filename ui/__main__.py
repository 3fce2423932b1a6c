"""`python -m ui`: start the chat page and API (same as `rag serve`)."""

import sys

from ui.server import main

if __name__ == "__main__":
    sys.exit(main())
