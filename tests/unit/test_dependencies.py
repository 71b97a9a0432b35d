"""The layer ships exactly the runtime dependencies pyproject.toml pins (and the tests ran with)."""

from devtools.requirements import REQUIREMENTS, runtime_requirements


def test_layer_requirements_match_the_runtime_dependency_group() -> None:
    # Given the runtime group of pyproject.toml
    expected = runtime_requirements()

    # When reading the requirements file `sam build` installs into the layer
    actual = REQUIREMENTS.read_text(encoding="utf-8") if REQUIREMENTS.exists() else ""

    # Then they are the same, or the deployed layer would differ from what was tested
    assert actual == expected, "layers/common/requirements.txt is out of date: run `make requirements`"
