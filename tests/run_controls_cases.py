"""One set of remediation-controls parameter values, run through the guard's parser and the bridge's copy."""

from __future__ import annotations

import json

DEFAULTS = {"paused": False, "modes": {}}
# (parameter value or None for no parameter, parsed result)
VALID = [
    (None, DEFAULTS),
    ("{}", DEFAULTS),
    ('{"paused": true}', {"paused": True, "modes": {}}),
    (
        json.dumps({"modes": {"a": "off", "b": "manual", "c": "automatic"}}),
        {"paused": False, "modes": {"a": "off", "b": "manual", "c": "automatic"}},
    ),
]
MALFORMED = [
    "",
    "not json",
    "[]",
    '"paused"',
    '{"paused": "true"}',
    '{"paused": 1}',
    '{"modes": {"a": "disabled"}}',
    '{"modes": ["a"]}',
    '{"paused": false, "pause": true}',
]
# (controls, control id, automatic run, skip reason)
DECISIONS = [
    (DEFAULTS, "a", True, None),
    (DEFAULTS, "a", False, None),
    ({"paused": True, "modes": {}}, "a", True, "paused"),
    ({"paused": True, "modes": {}}, "a", False, None),
    ({"paused": False, "modes": {"a": "off"}}, "a", True, "mode_off"),
    ({"paused": False, "modes": {"a": "off"}}, "a", False, "mode_off"),
    ({"paused": True, "modes": {"a": "off"}}, "a", True, "mode_off"),
    ({"paused": False, "modes": {"a": "manual"}}, "a", True, "mode_manual"),
    ({"paused": False, "modes": {"a": "manual"}}, "a", False, None),
    ({"paused": False, "modes": {"a": "automatic"}}, "a", True, None),
    ({"paused": False, "modes": {"a": "automatic"}}, "a", False, None),
    ({"paused": False, "modes": {"b": "off"}}, "a", True, None),
]
