"""Long texts cut into messages a messenger accepts (Telegram: 4,096 characters, Zalo: 2,000)."""

from __future__ import annotations

from dialogs.output import Rich, Segment


def pieces(text: Rich, limit: int) -> list[Rich]:
    """Split a long text at paragraph breaks, then at line breaks, then anywhere, so that no
    message exceeds the messenger's limit (`length`); nothing is dropped."""
    paragraphs = _split(text, "\n\n")
    parts: list[Rich] = []
    current = Rich()
    for paragraph in paragraphs:
        candidate = current + "\n\n" + paragraph if current else paragraph
        if length(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = Rich()
        for line in _split(paragraph, "\n"):
            candidate = current + "\n" + line if current else line
            if length(candidate) <= limit:
                current = candidate
                continue
            if current:
                parts.append(current)
            while length(line) > limit:
                head, line = _cut(line, limit)
                parts.append(head)
            current = line
    if current:
        parts.append(current)
    return parts


def length(text: Rich) -> int:
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
    """The longest head of a line that fits in `limit`, cut at its last space if it has one
    (the space itself is left out), and the rest."""
    plain = str(text)
    end = used = 0
    while end < len(plain) and used + length(Rich.plain(plain[end])) <= limit:
        used += length(Rich.plain(plain[end]))
        end += 1
    end = max(end, 1)
    space = plain.rfind(" ", 0, end + 1)
    if space > 0:
        return _slice(text, 0, space), _slice(text, space + 1, len(plain))
    return _slice(text, 0, end), _slice(text, end, len(plain))


def _slice(text: Rich, start: int, stop: int) -> Rich:
    """Characters `start` to `stop` of `text`, with their emphasis."""
    kept: list[Segment] = []
    offset = 0
    for segment in text.segments:
        piece = segment.text[max(start - offset, 0):max(stop - offset, 0)]
        if piece:
            kept.append(Segment(piece, segment.emphasis))
        offset += len(segment.text)
    return Rich(tuple(kept))
