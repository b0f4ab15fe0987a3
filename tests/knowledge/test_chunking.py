"""Knowledge is indexed per sentence, line and table row, with the heading it sits under."""

from __future__ import annotations

from repdesk.knowledge.chunking import units

DOC = """Opening hours
Monday to Friday: 8am - 7pm
Sunday: 12pm - 5pm

Delivery fees
| Zone | Fee |
|---|---|
| Lekki | N3,500 |
| Yaba | N1,500 |

We are at 23 Adeniran Ogunsanya Street, Surulere. We bake birthday and wedding cakes.
"""


def test_lines_rows_and_sentences_each_with_their_heading() -> None:
    got = [u.text for u in units(DOC)]
    assert got == [
        "Opening hours: Monday to Friday: 8am - 7pm",
        "Opening hours: Sunday: 12pm - 5pm",
        "Delivery fees: Zone: Lekki, Fee: N3,500",
        "Delivery fees: Zone: Yaba, Fee: N1,500",
        "We are at 23 Adeniran Ogunsanya Street, Surulere.",
        "We bake birthday and wedding cakes.",
    ]
    assert units(DOC)[2].context == "Delivery fees"


def test_a_short_sentence_stays_with_the_one_before() -> None:
    got = [u.text for u in units("Custom cakes need three days notice. Yes, really.")]
    assert got == ["Custom cakes need three days notice. Yes, really."]
