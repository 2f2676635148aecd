"""Where and with what a recipient opened, from the data the packages ship: the
country from today's data, the city where the older city data agrees on the country;
nothing for a private address; device, system and client from the user agent."""

from __future__ import annotations

from luukku.campaigns.clients import client_of, place_of


def test_places_from_packaged_data() -> None:
    assert place_of("193.166.0.1").country == "FI"  # FUNET, Helsinki
    assert place_of("193.166.0.1").city == "Helsinki"
    assert place_of("130.237.0.1").country == "SE"  # SUNET, Stockholm
    assert place_of("10.1.2.3").country == "" and place_of("not an address").country == ""


def test_clients_from_the_user_agent() -> None:
    iphone = client_of(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    )
    assert (iphone.device, iphone.system) == ("mobile", "iOS")
    outlook = client_of("Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928)")
    assert outlook.device == "desktop" and outlook.system.startswith("Windows")
