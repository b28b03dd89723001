"""The Mini App dashboard the bot serves (issue 24): the municipality at a glance, one school in two taps, inside
Telegram and inside MAX.

- initdata: the launch data each messenger signs, checked on every request (HMAC and age);
- server: the aiohttp application (the HTML shell, its script and style, the fragments), the one place that reads a
  request: who asks (the identity map), may they (monitoring.access), the access log;
- views: the fragments as HTML (Jinja2 templates, autoescaped) from scoring.dashboard's plain data.
"""
