from django import forms


class NewApiKeyForm(forms.Form):
    name = forms.CharField(
        label="名称", max_length=100, required=False, help_text="例如“排班脚本”；留空则按日期命名"
    )
