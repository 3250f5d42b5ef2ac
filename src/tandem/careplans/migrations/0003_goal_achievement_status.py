from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0002_careplan_based_on_referral"),
    ]

    operations = [
        migrations.AddField(
            model_name="goal",
            name="achievement_status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("in-progress", "In progress"),
                    ("improving", "Improving"),
                    ("worsening", "Worsening"),
                    ("no-change", "No change"),
                    ("achieved", "Achieved"),
                    ("not-achieved", "Not achieved"),
                ],
                max_length=20,
            ),
        ),
    ]
