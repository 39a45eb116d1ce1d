"""Public addresses told apart from this machine's and its networks' (``vectorstore.netguard``), and a
``public_only`` fetcher that connects to nothing else (a real server on 127.0.0.1; no internet)."""

import ipaddress
import socket

import pytest

from vectorstore import netguard
from vectorstore.feeds import iter_feed
from vectorstore.fetch import Fetcher, FetchError
from vectorstore.loaders import Skipped
from vectorstore.netguard import PrivateAddress, address_kind, check_url, public_addresses


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.0.10", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "private"),  # reserved (Python files 240.0.0.0/4 under private too)
        ("100.64.0.1", "not globally routed"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
        ("2002:c0a8:0101::", "private"),  # 6to4 of 192.168.1.1
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_address_kinds(address, kind):
    assert address_kind(ipaddress.ip_address(address)) == kind


def test_a_name_is_refused_when_any_of_its_addresses_is_private(monkeypatch):
    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in ("8.8.8.8", "192.168.1.5")]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(PrivateAddress, match=r"^mixed\.example resolves to 192\.168\.1\.5, not a public address"):
        public_addresses("mixed.example", 80)
    with pytest.raises(PrivateAddress):
        check_url("https://mixed.example/a")


def test_what_cannot_be_resolved_or_read_passes_the_early_check(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror("no such host")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    check_url("http://nowhere.invalid/a")  # its fetch fails on its own
    check_url("http://[::1/a")
    with pytest.raises(PrivateAddress):
        check_url("http://[::1]:8080/a")  # a literal needs no lookup


def test_a_public_only_fetcher_connects_to_no_private_address(news_site):
    base, _, requested = news_site
    with pytest.raises(FetchError, match=r"^refused: 127\.0\.0\.1 is not a public address \(loopback\)$"):
        Fetcher(timeout=5, public_only=True).get(f"{base}/kompas-karian.html")
    assert requested == []
    assert Fetcher(timeout=5).get(f"{base}/kompas-karian.html").body  # the default fetches from anywhere


def test_feed_items_on_private_addresses_are_skipped(news_site, monkeypatch):
    base, site, requested = news_site
    feed = site / "private-items.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Warta</title>'
        "<item><title>Metadata</title><link>http://169.254.169.254/latest/meta-data/</link>"
        "<description>Pendek.</description></item></channel></rss>",
        encoding="utf-8",
    )
    real_kind = netguard.address_kind
    # 127.0.0.1 stands in for a public feed server here; every other address is judged as usual
    monkeypatch.setattr(netguard, "address_kind", lambda ip: None if str(ip) == "127.0.0.1" else real_kind(ip))
    items = list(iter_feed(f"{base}/private-items.xml", Fetcher(timeout=5, public_only=True), lambda aid: False))
    reason = "refused: 169.254.169.254 is not a public address (link-local)"
    assert items == [Skipped("http://169.254.169.254/latest/meta-data/", reason)]
    assert requested == ["/private-items.xml"]
