"""template.yaml, loaded and translated offline (samtranslator, no AWS account) to the plain
CloudFormation that `sam deploy` would submit. Used by lint, the tests and the local stack, so
all three see exactly the resources the template creates.

    python -m devtools.sam_template [--out build/template.cfn.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml
from samtranslator.translator.transform import transform

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
DEFAULT_REGION = "us-east-1"


class OfflinePolicyLoader:
    """The template names no AWS managed policy by name, so no IAM lookup is needed."""

    def load(self) -> dict[str, str]:
        return {}


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain JSON data: a fresh copy on every call (callers may change it), parsed
    once per version of the file (cfn-lint's YAML loader takes about 0.4 s; the tests load the
    template for every AWS world they make)."""
    stat = path.stat()
    loaded: dict[str, Any] = json.loads(_template_json(str(path), stat.st_mtime_ns, stat.st_size))
    return loaded


@functools.lru_cache(maxsize=4)
def _template_json(path: str, _mtime_ns: int, _size: int) -> str:
    return json.dumps(cfn_yaml.load(path))


CODE_PROPERTIES = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}
PLACEHOLDER_BUCKET = "local-artifacts"


def code_folders(template: dict[str, Any]) -> dict[str, Path]:
    """Logical id -> local folder of every function and layer."""
    folders = {}
    for logical_id, resource in template["Resources"].items():
        prop = CODE_PROPERTIES.get(resource["Type"])
        if prop:
            folders[logical_id] = ROOT / resource["Properties"][prop]
    return folders


def translate(template: dict[str, Any] | None = None, code_uris: dict[str, str] | None = None) -> dict[str, Any]:
    """The CloudFormation form of the SAM template (its Parameters stay parameters).

    Local code folders become S3 URIs, as `sam package` would make them: `code_uris` maps logical
    ids to where the caller uploaded each folder's zip, else a placeholder bucket is named.
    """
    # samtranslator builds ARNs for the session's region and needs one, but no credentials.
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    source = json.loads(json.dumps(template if template is not None else load_template()))
    for logical_id in code_folders(source):
        resource = source["Resources"][logical_id]
        uri = (code_uris or {}).get(logical_id, f"s3://{PLACEHOLDER_BUCKET}/{logical_id}.zip")
        resource["Properties"][CODE_PROPERTIES[resource["Type"]]] = uri
    translated: dict[str, Any] = transform(source, {}, OfflinePolicyLoader())  # type: ignore[arg-type]
    return translated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "template.cfn.json")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out = args.out.resolve()
    args.out.write_text(json.dumps(translate(), indent=2, sort_keys=True))
    print(f"wrote {args.out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
