"""The Excel pages of the enterprise register: import (with its progress), the template, the export.

The pages themselves are the shared ones of `luoshi.core.excel_views`; this is the register's part.
"""

from __future__ import annotations

from functools import partial

from django.utils.translation import gettext_lazy as _

from luoshi.core.excel_views import ExcelList, export_page, import_page, template_download

from . import excel
from .access import can_manage_enterprises
from .filters import enterprise_query_string

ENTERPRISES = ExcelList(
    module=excel,
    import_kind="service.enterprise_import",
    export_kind="service.enterprise_export",
    can_import=can_manage_enterprises,
    import_action="import_enterprises",
    import_title=_("Import enterprises"),
    export_title=_("Export the enterprise list"),
    import_url="service:enterprise_import",
    template_url="service:enterprise_import_template",
    list_url="service:enterprise_list",
    list_query=enterprise_query_string,
    page_template="service/enterprise_import.html",
    workbook_name="企业名录导入模板.xlsx",
)

enterprise_import = partial(import_page, excel=ENTERPRISES)
enterprise_import_template = partial(template_download, excel=ENTERPRISES)
enterprise_export = partial(export_page, excel=ENTERPRISES)
