"""The columns `polyglyph validate` adds to a shard, and the schema (with its `huggingface`
features metadata) of a validated shard."""

from __future__ import annotations

import json

import pyarrow as pa

from .rows import portable_features

ADDED_COLUMNS: list[tuple[str, pa.DataType, dict[str, str]]] = [
    ("validation", pa.string(), {"dtype": "string", "_type": "Value"}),
    ("difficulty", pa.float64(), {"dtype": "float64", "_type": "Value"}),
    ("agreement", pa.float64(), {"dtype": "float64", "_type": "Value"}),
    ("status", pa.string(), {"dtype": "string", "_type": "Value"}),
    ("keep", pa.bool_(), {"dtype": "bool", "_type": "Value"}),
]


def validated_schema(schema: pa.Schema) -> pa.Schema:
    """The input schema without old validation columns, with the added ones at the end, and
    the `huggingface` metadata in step with the columns."""
    added = {name for name, _, _ in ADDED_COLUMNS}
    fields = [f for f in schema if f.name not in added]
    fields += [pa.field(name, arrow_type) for name, arrow_type, _ in ADDED_COLUMNS]
    out = pa.schema(fields, metadata=schema.metadata)
    return out.with_metadata(_hf_metadata(out))


def _hf_metadata(schema: pa.Schema) -> dict[bytes, bytes]:
    metadata = dict(schema.metadata or {})
    try:
        hf = json.loads(metadata.get(b"huggingface", b"{}"))
    except ValueError:
        hf = {}
    features = hf.setdefault("info", {}).setdefault("features", {})
    if features:
        for name, _, feature in ADDED_COLUMNS:
            features[name] = feature
        hf["info"]["features"] = portable_features(features)
        metadata[b"huggingface"] = json.dumps(hf).encode()
    return metadata
