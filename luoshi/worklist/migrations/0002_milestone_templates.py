"""The default milestone templates for backward scheduling (倒排工期)."""

from django.db import migrations

TEMPLATES = {
    "项目建设类": [
        {"title": "完成前期手续", "offset": 60},
        {"title": "开工建设", "offset": 40},
        {"title": "主体完工", "offset": 15},
        {"title": "竣工验收", "offset": 5},
        {"title": "成果总结", "offset": 0},
    ],
    "招商引资类": [
        {"title": "对接洽谈", "offset": 40},
        {"title": "签订协议", "offset": 20},
        {"title": "注册落地", "offset": 10},
        {"title": "成果总结", "offset": 0},
    ],
    "制度政策类": [
        {"title": "调研起草", "offset": 30},
        {"title": "征求意见", "offset": 15},
        {"title": "审议印发", "offset": 5},
        {"title": "成果总结", "offset": 0},
    ],
    "一般事项": [
        {"title": "制定方案", "offset": 20},
        {"title": "组织实施", "offset": 10},
        {"title": "成果总结", "offset": 0},
    ],
}


def create(apps, schema_editor):
    MilestoneTemplate = apps.get_model("worklist", "MilestoneTemplate")
    for name, steps in TEMPLATES.items():
        MilestoneTemplate.objects.get_or_create(name=name, defaults={"steps": steps})


def remove(apps, schema_editor):
    apps.get_model("worklist", "MilestoneTemplate").objects.filter(name__in=TEMPLATES).delete()


class Migration(migrations.Migration):
    dependencies = [("worklist", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
