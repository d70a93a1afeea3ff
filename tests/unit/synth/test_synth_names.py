"""Name pools and spelling variants."""

from __future__ import annotations

from collections import Counter
from random import Random

from lpx.synth.names import name_pools, nicknames_for, pick_pool, to_ascii, translit_variants


def test_pools_cover_several_cultures_in_latin_script() -> None:
    pools = {p.locale: p for p in name_pools()}
    assert {"en_US", "es_MX", "vi_VN", "zh_CN", "ru_RU", "de_DE"} <= set(pools)
    for locale in ("zh_CN", "ru_RU"):  # romanized from Han / Cyrillic
        pool = pools[locale]
        for names in (pool.male, pool.female, pool.last):
            assert all(n.isascii() and n[:1].isupper() for n in names.names), locale
    assert any(not n.isascii() for n in pools["vi_VN"].last.names)  # Nguyễn kept
    assert any("ü" in n for n in pools["de_DE"].last.names)


def test_weighted_sampling_follows_frequency() -> None:
    pool = next(p for p in name_pools() if p.locale == "en_US")
    rng = Random(1)
    counts = Counter(pool.last.pick(rng) for _ in range(20_000))
    assert counts["Smith"] > counts.get("Zimmerman", 0) * 5
    assert counts.most_common(1)[0][0] == "Smith"
    assert pool.last.top(3).names == ("Smith", "Johnson", "Williams")


def test_population_mix_is_mostly_en_us() -> None:
    rng = Random(2)
    mix = Counter(pick_pool(rng).locale for _ in range(10_000))
    assert 0.55 < mix["en_US"] / 10_000 < 0.73
    assert mix["es_MX"] > mix["zh_CN"] > 0


def test_transliteration_variants() -> None:
    assert {"Mueller", "Muller"} <= set(translit_variants("Müller"))
    assert "Nguyen" in translit_variants("Nguyễn")
    assert "Jose" in translit_variants("José")
    assert {"Aleksander", "Alexandr"} <= set(translit_variants("Aleksandr"))
    assert "Sergei" in translit_variants("Sergey")
    assert to_ascii("Müller") == "Muller"


def test_nicknames_come_from_the_nicknames_package() -> None:
    assert {"Bill", "Will"} <= set(nicknames_for("William"))
    assert "Peggy" in nicknames_for("Margaret")
    assert nicknames_for("Xiumei") == ()
    assert nicknames_for("William") == tuple(sorted(nicknames_for("William")))
