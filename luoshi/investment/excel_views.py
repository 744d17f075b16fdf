"""The Excel pages of investment: the ledger import (with its progress), its template, the export.

The pages themselves are the shared ones of `luoshi.core.excel_views`; this is the ledger's part.
"""

from __future__ import annotations

from functools import partial

from django.utils.translation import gettext_lazy as _

from luoshi.core.excel_views import ExcelList, export_page, import_page, template_download

from . import excel
from .access import can_import_projects
from .filters import project_query_string

PROJECTS = ExcelList(
    module=excel,
    import_kind="investment.project_import",
    export_kind="investment.project_export",
    can_import=can_import_projects,
    import_action="import_projects",
    import_title=_("Import a project ledger"),
    export_title=_("Export the project list"),
    import_url="investment:project_import",
    template_url="investment:project_import_template",
    list_url="investment:project_list",
    list_query=project_query_string,
    page_template="investment/project_import.html",
    workbook_name="招商项目台账导入模板.xlsx",
)

project_import = partial(import_page, excel=PROJECTS)
project_import_template = partial(template_download, excel=PROJECTS)
project_export = partial(export_page, excel=PROJECTS)
