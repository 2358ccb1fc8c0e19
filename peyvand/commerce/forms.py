"""The order import form."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from peyvand.web.forms import StyledForm

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
ORDER_FILE_EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


class OrderImportForm(StyledForm):
    """A CSV or Excel file of order lines, the source its orders are recorded under, and
    whether to preview only."""

    file = forms.FileField(label=_("File (CSV or Excel)"))
    source = forms.SlugField(
        label=_("Source"),
        max_length=50,
        initial="import",
        help_text=_("Orders are found again by source and order id: keep it for re-imports."),
    )
    dry_run = forms.BooleanField(label=_("Preview only"), required=False, initial=True)

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if Path(upload.name or "").suffix.lower() not in ORDER_FILE_EXTENSIONS:
            raise forms.ValidationError(_("Choose a CSV or Excel (.xlsx) file."))
        if (upload.size or 0) > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return upload
