"""Long texts cut into messages a messenger accepts (Telegram: 4,096 characters, Zalo: 2,000)."""

from __future__ import annotations

from dialogs.output import Rich, Segment


def pieces(text: Rich, limit: int) -> list[Rich]:
    """Split a long text at paragraph breaks, then at line breaks, so that no message exceeds
    Telegram's limit; nothing is dropped."""
    paragraphs = _split(text, "\n\n")
    parts: list[Rich] = []
    current = Rich()
    for paragraph in paragraphs:
        candidate = current + "\n\n" + paragraph if current else paragraph
        if _length(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = Rich()
        for line in _split(paragraph, "\n"):
            candidate = current + "\n" + line if current else line
            if _length(candidate) <= limit:
                current = candidate
                continue
            if current:
                parts.append(current)
            while _length(line) > limit:
                head, line = _cut(line, limit)
                parts.append(head)
            current = line
    if current:
        parts.append(current)
    return parts


def _length(text: Rich) -> int:
    """Telegram counts UTF-16 code units (an emoji is two)."""
    return len(str(text).encode("utf-16-le")) // 2


def _split(text: Rich, separator: str) -> list[Rich]:
    """`text` cut at every `separator`, each piece keeping its segments' emphasis."""
    pieces_: list[list[Segment]] = [[]]
    for segment in text.segments:
        chunks = segment.text.split(separator)
        for index, chunk in enumerate(chunks):
            if index:
                pieces_.append([])
            if chunk:
                pieces_[-1].append(Segment(chunk, segment.emphasis))
    return [Rich(tuple(piece)) for piece in pieces_]


def _cut(text: Rich, limit: int) -> tuple[Rich, Rich]:
    head: list[Segment] = []
    tail: list[Segment] = []
    used = 0
    for segment in text.segments:
        room = (limit - used) // 2  # in characters, counting each as two units to stay safe
        if room <= 0:
            tail.append(segment)
        elif _length(Rich((segment,))) <= limit - used:
            head.append(segment)
            used += _length(Rich((segment,)))
        else:
            head.append(Segment(segment.text[:room], segment.emphasis))
            tail.append(Segment(segment.text[room:], segment.emphasis))
            used = limit
    return Rich(tuple(head)), Rich(tuple(tail))
