"""Process management for ``vanta serve``: gunicorn master, aiohttp workers."""
