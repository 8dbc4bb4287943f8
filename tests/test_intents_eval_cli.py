"""duly/intents_eval.main(): the `duly intents eval` command, called directly."""

import json
from pathlib import Path

from duly import intents_eval

CORPUS = str(Path(__file__).parent / "data" / "replies.tsv")


def run_json(capsys, *extra):
    assert intents_eval.main([CORPUS, "--now", "2026-11-30T10:00", "--json", *extra]) == 0
    lines = capsys.readouterr().out.splitlines()
    return [json.loads(line) for line in lines]


def test_json_one_object_per_row_in_order(capsys):
    rows = run_json(capsys)
    texts = [r["text"] for r in intents_eval.read_rows(CORPUS)]
    assert [r["text"] for r in rows] == texts
    by_text = {r["text"]: r for r in rows}
    assert by_text["STOP"] == {"text": "STOP", "context": "notice", "intent": "stop",
                               "confidence": 0.95, "entities": {"channel": "sms"}}
    assert by_text["I can pay 100 on 10/3"]["intent"] == "promise"
    assert by_text["I can pay 100 on 10/3"]["entities"]["amount"] == "100.00"
    assert by_text["$50 on fri"]["entities"] == {"amount": "50.00", "date": "2026-12-04"}
    assert by_text["下周五还"]["entities"] == {"date": "2026-12-11"}
    assert by_text["stop calling me"]["entities"] == {"channel": "voice"}
    assert "entities" not in by_text["[Web발신]"]
    assert by_text["Liked an image"]["intent"] == "unknown"
    assert by_text["2 payments of $ 250"]["entities"]["amount"] == "250.00"


def test_aware_now_is_used_as_is(capsys):
    rows = run_json(capsys)
    aware = run_json(capsys)  # same clock both times
    assert rows == aware
    assert intents_eval.main([CORPUS, "--now", "2026-11-30T15:00:00+00:00", "--json"]) == 0
    by_text = {json.loads(x)["text"]: json.loads(x) for x in capsys.readouterr().out.splitlines()}
    assert by_text["$50 on fri"]["entities"]["date"] == "2026-12-04"


def test_score_report(capsys):
    assert intents_eval.main([CORPUS, "--now", "2026-11-30T10:00"]) == 0
    out = capsys.readouterr().out
    assert "accuracy:" in out and "stop recall: 43/43" in out
    assert "misclassified:" in out and "wrong_number" in out


def test_bad_now(capsys):
    assert intents_eval.main([CORPUS, "--now", "yesterday-ish"]) == 2


def test_output_piped_into_head_ends_quietly():
    # found by a new-user trial: `duly intents eval … | head` printed a BrokenPipeError
    # traceback when head closed the pipe
    import subprocess
    import sys

    # the larger corpus: its JSON (~1,500 rows) is well over a pipe's 64 KiB buffer, so
    # the writer must meet the closed pipe instead of finishing into the buffer first
    big = str(Path(__file__).parent / "data" / "replies_extra.tsv")
    code = "import sys; from duly.cli import main; sys.exit(main(sys.argv[1:]))"
    p = subprocess.Popen([sys.executable, "-c", code, "intents", "eval", big, "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).parent.parent)
    first = p.stdout.readline()
    p.stdout.close()                                  # what `| head -1` does
    err = p.stderr.read().decode()
    p.wait(timeout=60)
    assert json.loads(first)["text"] == intents_eval.read_rows(big)[0]["text"]
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert p.returncode == 1
