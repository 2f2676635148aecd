"""Where and with what a recipient opened or clicked: the country from the IP address,
looked up in the database the geoip2fast package ships (nothing downloaded at run
time), and the device, system and mail client from the user agent (ua-parser's
packaged rules). Only these coarse facts are kept, never the address itself.

City: from `LUUKKU_GEOIP_CITY_FILE` when it points at a MaxMind-format city database
the organization holds and keeps current; otherwise from the GeoLite2 city database
the maxminddb-geolite2 package ships, which is from 2018: a city is kept only where
that database places the address in the same country as the current one does.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings

logger = logging.getLogger("luukku.campaigns")


@dataclass(frozen=True)
class Place:
    country: str = ""  # ISO 3166 code, "" when unknown
    city: str = ""


@dataclass(frozen=True)
class Client:
    device: str = ""  # "mobile", "tablet", "desktop", "proxy", ""
    system: str = ""
    client: str = ""

    @property
    def key(self) -> str:
        return "/".join((self.device or "?", self.system or "?", self.client or "?"))


@functools.cache
def _countries() -> Any:
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(verbose=False)


@functools.cache
def _cities() -> Any:
    path = settings.LUUKKU_GEOIP_CITY_FILE
    if path:
        import maxminddb

        return maxminddb.open_database(path)
    from geolite2 import geolite2

    return geolite2.reader()


def place_of(ip: str | None) -> Place:
    if not ip:
        return Place()
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return Place()
    if address.is_private or address.is_loopback:
        return Place()
    country = ""
    try:
        found = _countries().lookup(str(address))
        country = found.country_code if len(found.country_code or "") == 2 else ""
    except Exception:  # an address the database cannot place
        logger.debug("No country for %s", ip)
    record = _cities().get(str(address)) or {}
    known_in = record.get("country", {}).get("iso_code") or ""
    city = record.get("city", {}).get("names", {}).get("en") or ""
    if country and known_in != country:  # moved since the city data was made: no city
        city = ""
    return Place(country=country or known_in, city=city)


@functools.lru_cache(maxsize=4096)
def client_of(user_agent: str) -> Client:
    if not user_agent:
        return Client()
    from ua_parser import parse

    found = parse(user_agent)
    system = found.os.family if found.os and found.os.family != "Other" else ""
    agent = found.user_agent.family if found.user_agent else ""
    device_family = found.device.family if found.device else ""
    if agent in ("Other", ""):
        agent = ""
    if any(word in user_agent for word in ("Mobile", "iPhone", "Android")):
        device = "mobile"
    elif "iPad" in user_agent or "Tablet" in user_agent:
        device = "tablet"
    elif system:
        device = "desktop"
    else:
        device = ""
    if device_family == "Spider":
        device = "bot"
    return Client(device=device, system=system, client=agent)
