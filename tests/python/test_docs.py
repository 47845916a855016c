"""The examples in the documentation run and print what the pages say."""

import doctest
import pathlib

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("page", ["guide.md", "reference.md", "migrating.md"])
def test_doc_examples(page, monkeypatch):
    monkeypatch.chdir(DOCS.parent)
    failures, tried = doctest.testfile(
        str(DOCS / page), module_relative=False, optionflags=doctest.ELLIPSIS
    )
    assert tried > 0
    assert failures == 0
