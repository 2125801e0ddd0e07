"""A YAML loader for files from anywhere: refuses duplicate keys, deep nesting and
alias bombs, with the line of the problem.

Kept apart from `files` so that commands that read no file never import PyYAML.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 32  # answers are flat; presets nest three levels
MAX_NODES = 100_000  # counted with every alias expanded
MERGE_TAG = "tag:yaml.org,2002:merge"


class Refused(yaml.MarkedYAMLError):
    """A YAML document that parses but that we will not take."""


class StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys, deep nesting and alias bombs."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise Refused(
                    problem=f"nested more than {MAX_DEPTH} levels deep",
                    problem_mark=self.peek_event().start_mark,
                )
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is not None:
            self._count(node)
        return node

    def _count(self, node: yaml.Node) -> None:
        """Size of `node` with aliases expanded; refuse past MAX_NODES."""
        if id(node) in self._sizes:  # an alias: the same node again
            size = self._sizes[id(node)]
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._sizes.get(id(n), 1) for n in node.value)
        elif isinstance(node, yaml.MappingNode):
            size = 1 + sum(
                self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1)
                for k, v in node.value
            )
        else:
            size = 1
        self._sizes[id(node)] = size
        if size > MAX_NODES:
            raise Refused(
                problem=f"aliases expand to more than {MAX_NODES} values",
                problem_mark=node.start_mark,
            )

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # unhashable: the base class says so
            if duplicate:
                raise Refused(
                    problem=f"duplicate key '{key}' (give each key once)",
                    problem_mark=key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)
