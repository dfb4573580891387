"""A slow phone in Chromium, through the DevTools protocol: added latency per request, limited
download and upload, and a slowed CPU (Lighthouse's mobile settings are 150 ms, 1.6 Mbit/s down,
750 kbit/s up, CPU 4x). Used by bench/apply_ready.py and bench/search_phone.py."""

from typing import Any


def throttle(
    context: Any, page: Any, *, latency_ms: float, down_bps: float, up_bps: float, cpu: float
) -> Any:
    """Throttles `page` (of the Playwright browser `context`); returns its CDP session, with the
    Network domain enabled (for callers that listen to its events)."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency_ms,
            "downloadThroughput": down_bps / 8,
            "uploadThroughput": up_bps / 8,
        },
    )
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
    return cdp
