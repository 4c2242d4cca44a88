"""The document to deploy: checked as a Flags loads it, and fitted to the profile type."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from appflags import Flags, SchemaError
from appflags.authoring import FEATURE_FLAGS, FREEFORM, Document, ProfileMismatchError

if TYPE_CHECKING:
    from pathlib import Path

STORED = {
    "version": "1",
    "flags": {"beta": {"name": "beta"}},
    "values": {"beta": {"enabled": True}},
}


def test_an_invalid_file_fails_with_the_same_problems_and_paths_as_flags(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(
        json.dumps({"version": "1", "flags": {"beta": {}}, "values": {"beta": {"enabled": "yes"}}})
    )
    with pytest.raises(SchemaError) as ours:
        Document.from_file(path)
    with pytest.raises(SchemaError) as theirs:
        Flags.from_file(path)
    assert str(ours.value) == str(theirs.value)
    assert str(path) in str(ours.value)


def test_yaml_feature_flags_are_uploaded_as_json(tmp_path: Path) -> None:
    path = tmp_path / "flags.yaml"
    path.write_text(
        "version: '1'\nflags:\n  beta:\n    name: beta\nvalues:\n  beta:\n    enabled: true\n"
    )
    document = Document.from_file(path)
    assert document.is_feature_flags
    data, content_type = document.upload_for(FEATURE_FLAGS)
    assert content_type == "application/json"
    assert json.loads(data) == STORED


def test_json_is_uploaded_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    text = json.dumps(STORED, indent=4)
    path.write_text(text)
    assert Document.from_file(path).upload_for(FEATURE_FLAGS) == (text.encode(), "application/json")


@pytest.mark.parametrize(
    ("content", "profile_type", "says"),
    [
        (
            {"premium": {"default": False}},
            FEATURE_FLAGS,
            "a powertools document needs an AWS.Freeform",
        ),
        ({"beta": {"enabled": True}}, FEATURE_FLAGS, "retrieval form"),
        (STORED, FREEFORM, "goes to an AWS.AppConfig.FeatureFlags profile"),
        (STORED, "AWS.Custom", "not supported"),
    ],
)
def test_a_document_that_does_not_fit_the_profile_type_is_refused(
    tmp_path: Path, content: object, profile_type: str, says: str
) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ProfileMismatchError, match=says):
        Document.from_file(path).upload_for(profile_type)


def test_freeform_formats_keep_their_bytes_and_content_type(tmp_path: Path) -> None:
    path = tmp_path / "flags.yaml"
    path.write_text("premium:\n  default: false\n")
    document = Document.from_file(path)
    assert document.format == "powertools"
    assert document.upload_for(FREEFORM) == (path.read_bytes(), "application/x-yaml")
