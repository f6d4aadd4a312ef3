"""Per-side blocks: "then switch to the other leg" wraps the steps before it, and declares the sides."""

from __future__ import annotations

import re

import audioguide.draft.phrases as ph
from .nodes import Node, say, short


class SideRules:
    """Mixed into Drafter: the steps done on each side, the ``sides:`` declaration and its options."""

    def other_side(self, said: str, noun: str, sentence: str) -> None:
        whole = not said or said == sentence
        global_scope = bool(re.search(r"\b(?:sequence|the same|all (?:of )?(?:the|this|these)|these steps|"
                                      r"everything|whole|routine)\b", sentence, re.I))
        global_scope = global_scope or whole and not self.group_nodes(False)
        if global_scope:
            start = self.global_start(noun)
        else:
            start = self.local_start()
        if start is None or start >= len(self.out):
            node = say(said, self.group, "instruction", then=self.time("act_time"))
            node.comments.append("CHECK: \"the other side\" with nothing before it to do again")
            self.add(node)
            return
        self.declare_sides(noun, self.out[start:])
        body = self.out[start:]
        del self.out[start:]
        switch = [say(said, self.group, "instruction", then=self.time("switch_time"))]
        node = Node("per_side", {}, steps=body, switch=switch, group=self.group, source=sentence)
        self.place_sides(node, noun, global_scope)
        if global_scope:
            first = next((n.source for n in body if n.key == "say"), "")
            node.comments.append(f"CHECK: the steps done on each {noun}: from \"{short(first)}\" "
                                 f"to \"{short(sentence)}\"")
            self.needs_closing = True
        self.out.append(node)

    def local_start(self) -> int | None:
        idx = [i for i in self.group_nodes(False) if self.out[i].role != "note" or self.out[i].key != "say"] or \
            self.group_nodes(False)
        if not idx:
            return None
        sided = [i for i in idx if any(ph.side_words(n.fields.get("say", "")) for n in self.out[i].walk())]
        return sided[0] if sided else idx[0]

    def global_start(self, noun: str) -> int | None:
        # After a choice, and after an earlier per-side block: a block done on each side is never done again
        # inside another (each nesting doubled the session: six made one of over ten hours, which does not compile)
        after = max((i for i, n in enumerate(self.out)
                     if n.role == "choice" or any(inner.key == "per_side" for inner in n.walk())), default=-1) + 1
        plural = ph.PLURALS.get(noun, noun + "s")
        pattern = re.compile(rf"\b(?:{noun}|{plural}|right|left)\b", re.I)
        for i in range(after, len(self.out)):
            node = self.out[i]
            if node.key == "say" and node.role != "note" and pattern.search(node.fields["say"]):
                if i > 0 and self.out[i - 1].key == "chapter" and i - 1 >= after:
                    return i - 1
                return i
        return after if after < len(self.out) else None

    def declare_sides(self, noun: str, body: list[Node]) -> None:
        for node in body:
            for inner in node.walk():
                words = ph.side_words(inner.fields.get("say", ""))
                if words and self.sides is None:
                    self.first_side = words[0]
                    break
            else:
                continue
            break
        if self.sides is not None:
            return
        plural = ph.PLURALS.get(noun, noun + "s")
        which, first = ("sides", "first_side") if noun == "side" else (plural, f"first_{noun}")
        self.side_noun = noun
        self.options[which] = {"choices": ["both", "right", "left"], "default": "both",
                               "help": f"Both {plural}, or only one."}
        self.options[first] = {"choices": ["right", "left"], "default": self.first_side,
                               "help": f"Which {noun} first."}
        self.sides = {"names": ["right", "left"], "which": which, "first": first}

    def place_sides(self, node: Node, noun: str, chapters: bool) -> None:
        """Name the side in the block's text, and in its chapter titles when it spans chapters."""
        named = False
        for child in node.steps:
            for inner in child.walk():
                text = inner.fields.get("say")
                if text is None:
                    continue
                replaced = ph.replace_sides(text, self.first_side)
                if replaced != text:
                    inner.fields["say"] = replaced
                    named = True
        if not named:
            for child in node.steps:
                inner_says = [n for n in child.walk() if n.key == "say" and n.role != "note"]
                for inner in inner_says:
                    added = ph.add_side(inner.fields["say"], noun)
                    if added:
                        inner.fields["say"] = added
                        named = True
                        break
                if named:
                    break
        if not chapters:
            return
        prefix = f"{{Side}} {noun}"
        has_chapter = False
        for child in node.steps:
            if child.key == "chapter":
                child.fields["chapter"] = f"{prefix}: {child.fields['chapter']}"
                has_chapter = True
        if not node.steps or node.steps[0].key != "chapter":
            node.steps.insert(0, Node("chapter", {"chapter": prefix}))
        if has_chapter or node.steps:
            return
