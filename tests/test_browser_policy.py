"""The browser tests skip without Chromium, with the reason, except in CI, where they fail."""

import pytest


@pytest.mark.parametrize("ci,outcome", [("true", "failed"), ("", "skipped"), ("false", "skipped")])
def test_a_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch, ci, outcome):
    import chromium

    monkeypatch.setattr(chromium, "chromium_path", lambda: None)
    monkeypatch.setenv("CI", ci)
    kinds = {"failed": pytest.fail.Exception, "skipped": pytest.skip.Exception}
    with pytest.raises(kinds[outcome], match="chromium is not installed"):
        chromium.require_chromium()
