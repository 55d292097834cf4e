"""benchmarks/accuracy.py end to end with the CLI faked: what it runs, how it scores, what it writes."""

from __future__ import annotations

import json

from benchmarks import accuracy
from benchmarks.gold import spans_from_bio

DOCS = [[("Deep", "B-KEY"), ("nets", "I-KEY"), ("work", "O")], [("Graph", "B-KEY"), ("cuts", "O")]]


def test_a_recipe_runs_its_config_file_and_the_table_names_the_build(tmp_path, monkeypatch):
    data = tmp_path / "inspec"
    data.mkdir()
    for split in ("train", "valid", "test"):
        (data / f"{split}.txt").write_text("".join("".join(f"{t}\t{g}\n" for t, g in d) + "\n" for d in DOCS))
    gold = spans_from_bio(data / "test.txt")
    calls = []

    def fake_run(cmd, cwd, threads=None):
        calls.append([str(c) for c in cmd])
        if "predict" in cmd:  # a perfect tagger
            out = cmd[cmd.index("--trainer.callbacks.output_path") + 1]
            recs = [{"tokens": [t for t, _ in d], "keyphrases": [{"start_token": s, "end_token": e} for s, e in g]}
                    for d, g in zip(DOCS, gold)]  # fmt: skip
            with open(out, "w") as fh:
                fh.write("".join(json.dumps(r) + "\n" for r in recs))
        return ""

    monkeypatch.setattr(accuracy, "run", fake_run)
    monkeypatch.setattr(accuracy, "logged_values", lambda run_dir, key: [0.5, 0.75] if key.startswith("val") else [1.0])
    out = tmp_path / "accuracy.md"
    accuracy.main(["--recipes", "chars", "--seeds", "7", "--data", str(data), "--workdir", str(tmp_path / "w"),
                   "--glove", str(tmp_path / "glove.txt"), "--out", str(out)])  # fmt: skip
    fit = next(c for c in calls if "fit" in c)
    assert fit[fit.index("fit") + 1 :][:2] == ["--config", str(accuracy.EXPERIMENTS / "chars.yaml")]
    assert "--seed_everything" in fit and fit[fit.index("--seed_everything") + 1] == "7"
    assert not [a for a in fit if a.startswith("--model.")]  # the recipe is the file, not flags
    text = out.read_text()
    assert "build `" in text and "`python -m benchmarks.accuracy --recipes chars --seeds 7`" in text
    assert "| chars | 1 | 0.750 | 1.000 | 1.000 | 1.000 |" in text
    assert str(tmp_path) not in text
