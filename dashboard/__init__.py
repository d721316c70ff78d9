"""The aiohttp web app: wallboard, statistics, agent console, admin and JSON API."""
