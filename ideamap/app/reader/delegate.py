"""Rows that wrap to the reader's width. Qt's list view asks a row's size before it knows the
width the row will get, so long paragraphs were measured too wide (cut off at the right) or too
narrow (gaps below); this delegate measures every row at the viewport's current width."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem


class WrappingDelegate(QStyledItemDelegate):
    def __init__(self, view):
        super().__init__(view)
        self.view = view

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt's name
        width = max(80, self.view.viewport().width() - 2 * self.view.spacing())
        measured = QStyleOptionViewItem(option)
        measured.rect = QRect(0, 0, width, 10_000)
        measured.features |= QStyleOptionViewItem.WrapText
        size = super().sizeHint(measured, index)
        return QSize(width, size.height())
