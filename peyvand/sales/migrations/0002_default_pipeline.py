"""A fresh install gets one sales pipeline with the usual stages, so deals work at once."""

from django.db import migrations

STAGES = (
    ("سرنخ واجد شرایط", 10, "open"),
    ("نیازسنجی", 25, "open"),
    ("ارسال پیش‌فاکتور", 50, "open"),
    ("مذاکره", 75, "open"),
    ("موفق", 100, "won"),
    ("ناموفق", 0, "lost"),
)


def create_default_pipeline(apps, schema_editor):  # type: ignore[no-untyped-def]
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    if Pipeline.objects.exists():
        return
    pipeline = Pipeline.objects.create(name="فروش", is_default=True, position=0)
    Stage.objects.bulk_create(
        Stage(pipeline=pipeline, name=name, probability=probability, kind=kind, position=index)
        for index, (name, probability, kind) in enumerate(STAGES)
    )


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create_default_pipeline, migrations.RunPython.noop)]
