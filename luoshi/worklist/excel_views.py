"""The Excel pages of the implementation list: import (with its progress), the template, the export.

The pages themselves are the shared ones of `luoshi.core.excel_views`; this is the list's part:
its import also offers to publish the items at once.
"""

from __future__ import annotations

from functools import partial

from django import forms
from django.utils.translation import gettext_lazy as _

from luoshi.core.excel_views import ExcelList, export_page, import_page, template_download
from luoshi.core.spreadsheets import WorkbookForm

from . import excel
from .access import is_supervisor
from .filters import item_query_string


class ImportForm(WorkbookForm):
    publish = forms.BooleanField(
        label=_("Publish the items to their lead units at once"),
        required=False,
        help_text=_("Otherwise they are created as drafts, to be checked and published later."),
    )


ITEMS = ExcelList(
    module=excel,
    import_kind="worklist.import",
    export_kind="worklist.export",
    can_import=is_supervisor,
    import_action="import_items",
    import_title=_("Import the project list"),
    export_title=_("Export the item list"),
    import_url="worklist:import",
    template_url="worklist:import_template",
    list_url="worklist:item_list",
    list_query=item_query_string,
    page_template="worklist/import.html",
    form=ImportForm,
    workbook_name="工程项目清单导入模板.xlsx",
)

item_import = partial(import_page, excel=ITEMS)
item_import_template = partial(template_download, excel=ITEMS)
item_export = partial(export_page, excel=ITEMS)
