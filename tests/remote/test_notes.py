"""Observing notes: HTML (as real notes carry it, reference §7) turned into plain text; typed rows."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from exofop_cli import ExoFopClient
from exofop_cli.cli import app
from exofop_cli.remote.notes import html_to_text, obs_note_rows
from exofop_cli.remote.tables import parse_table
from exofop_cli.testing import DEMO_TIC, FakeExoFop


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # tess-vetter's fixture shape: a whole document inside a CSV cell
        (
            "<!DOCTYPE html><html><body>4 RV epochs, 162 m/s scatter</body></html>",
            "4 RV epochs, 162 m/s scatter",
        ),
        ("A&nbsp;B &amp; C &lt;D&gt; &#8710;mag", "A B & C <D> \u2206mag"),  # entities, &nbsp; as a space
        ("one<br>two<BR/>three", "one\ntwo\nthree"),
        ("<p>para one</p><p>para two</p>", "para one\n\npara two"),
        ("line one\nline two", "line one\nline two"),  # raw newlines kept
        ("depth <1 ppt, x < y", "depth <1 ppt, x < y"),  # a bare "<" is text, not a tag
        ('see the plot <a target="_blank"', "see the plot"),  # an unterminated tag at the end
        ('<span style="color:#222">red</span>   text\t here', "red text here"),
        ("<style>p {color: red}</style>kept", "kept"),
        ("thread-f:1622|msg-f:1622", "thread-f:1622|msg-f:1622"),  # literal pipes from pasted mail
        ("", ""),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_obs_note_rows_from_the_real_header() -> None:
    body = (
        b"ID,TIC ID,Username,Groupname,TAG ID,Lastmod,notes\n"
        b'23968,68646526,latham,,1573,2021-11-30 12:20:55,"<!DOCTYPE html><html><body>4 RV epochs,&nbsp;'
        b'162 m/s scatter</body></html>"\n'
    )
    (note,) = obs_note_rows(parse_table(body), tic_id=68646526)
    assert (note.note_id, note.tic_id, note.author, note.group, note.data_tag, note.date_utc) == (
        23968,
        68646526,
        "latham",
        None,
        "1573",
        "2021-11-30 12:20:55",
    )
    assert note.text == "4 RV epochs, 162 m/s scatter"
    assert note.raw is not None and note.raw["notes"].startswith("<!DOCTYPE html>")


def test_client_obs_notes_and_summaries_show_plain_text(client: ExoFopClient, fake: FakeExoFop) -> None:
    notes = client.obs_notes(tic_id=DEMO_TIC)
    assert [n.author for n in notes] == ["mlund", "latham"]
    assert notes[1].text == "4 RV epochs, 162 m/s scatter\nSB1? depth <1 ppt"
    env = {"EXOFOP_BASE_URL": fake.base_url, "EXOFOP_CACHE_DIR": str(client.cache_root.parent)}
    shown = CliRunner().invoke(app, ["summaries", str(DEMO_TIC), "--kind", "obsnotes"], env=env)
    assert "4 RV epochs, 162 m/s scatter SB1? depth <1 ppt" in shown.stdout  # one TSV cell
    assert "&nbsp;" not in shown.stdout and "<br>" not in shown.stdout
    data = CliRunner().invoke(app, ["summaries", str(DEMO_TIC), "--kind", "obsnotes", "--json"], env=env)
    texts = [row["notes"] for row in json.loads(data.stdout)["obsnotes"]]
    assert texts[1] == "4 RV epochs, 162 m/s scatter\nSB1? depth <1 ppt"  # plain text, line break kept
    cached = (client.cache_root / f"tic_{DEMO_TIC}" / "summaries" / "obsnotes.csv").read_text()
    assert "&nbsp;" in cached  # the cache keeps what ExoFOP sent
