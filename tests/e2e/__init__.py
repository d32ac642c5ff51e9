"""Helpers for the browser end-to-end test (tests/test_e2e_browser.py).

- hass_process: a real Home Assistant process with Confidant and the demo.
- ha_client: the owner's REST and websocket client for that process.
- browser: where Chromium is and how it is started.
"""
