"""A list of "cards": a small muted source line above a few lines of paragraph text. Used for
neighbours, search results and island exemplars, where the text is what users scan and the
source is secondary."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPalette
from PySide6.QtWidgets import QFrame, QListView, QListWidget, QListWidgetItem, QStyle, QStyledItemDelegate

from ideamap.app.panels.common import ID_ROLE, blend

SOURCE_ROLE = Qt.UserRole + 1
FOOTER_ROLE = Qt.UserRole + 2  # a muted line under the text (e.g. "and 2 near-copies in: …")
PAD = 6
MAX_BODY_LINES = 4


class CardDelegate(QStyledItemDelegate):
    def paint(self, painter, option, index) -> None:
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PE_PanelItemViewItem, option, painter, option.widget)
        selected = bool(option.state & QStyle.State_Selected)
        palette = option.palette
        text_colour = palette.color(QPalette.HighlightedText if selected else QPalette.Text)
        rect = option.rect.adjusted(PAD, PAD, -PAD, -PAD)
        painter.save()
        small = _small_font(option.font)
        painter.setFont(small)
        painter.setPen(text_colour if selected else blend(text_colour, palette.color(QPalette.Base), 0.45))
        fm_small = QFontMetrics(small)
        source = fm_small.elidedText(index.data(SOURCE_ROLE) or "", Qt.ElideRight, rect.width())
        painter.drawText(rect, Qt.AlignLeft | Qt.AlignTop, source)
        painter.setFont(option.font)
        painter.setPen(text_colour)
        body = QRect(rect.left(), rect.top() + fm_small.height() + 2, rect.width(), _body_height(option.font, index.data(), rect.width()))
        painter.drawText(body, Qt.AlignLeft | Qt.AlignTop | Qt.TextWordWrap, index.data() or "")
        footer = index.data(FOOTER_ROLE)
        if footer:
            painter.setFont(small)
            painter.setPen(text_colour if selected else blend(text_colour, palette.color(QPalette.Base), 0.45))
            line = QRect(rect.left(), body.bottom() + 3, rect.width(), fm_small.height())
            painter.drawText(line, Qt.AlignLeft | Qt.AlignTop, fm_small.elidedText(footer, Qt.ElideRight, rect.width()))
        painter.restore()

    def sizeHint(self, option, index) -> QSize:
        view = self.parent()
        width = (view.viewport().width() if view is not None else 300) - 2 * PAD
        small = QFontMetrics(_small_font(option.font)).height()
        height = small + 2 + _body_height(option.font, index.data(), width)
        if index.data(FOOTER_ROLE):
            height += small + 3
        return QSize(width, height + 2 * PAD)


def _small_font(font):
    small = type(font)(font)
    small.setPointSizeF(max(7.0, font.pointSizeF() - 1))
    return small


def _body_height(font, text: str | None, width: int) -> int:
    fm = QFontMetrics(font)
    needed = fm.boundingRect(QRect(0, 0, max(width, 50), 10_000), Qt.TextWordWrap, text or "").height()
    return min(needed, fm.lineSpacing() * MAX_BODY_LINES)


def card_list() -> QListWidget:
    widget = QListWidget()
    widget.setItemDelegate(CardDelegate(widget))
    widget.setFrameShape(QFrame.NoFrame)
    widget.setResizeMode(QListView.Adjust)  # re-measure wrapped text when the panel is resized
    widget.setVerticalScrollMode(QListView.ScrollPerPixel)
    widget.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
    widget.setAlternatingRowColors(True)
    widget.setMouseTracking(True)
    return widget


def card(source: str, text: str, item_id: int, tooltip: str = "", footer: str = "") -> QListWidgetItem:
    item = QListWidgetItem(" ".join(text.split()))
    item.setData(SOURCE_ROLE, source)
    if footer:
        item.setData(FOOTER_ROLE, footer)
    item.setData(ID_ROLE, int(item_id))
    item.setToolTip(tooltip or text[:600])
    return item
