"""Shared data for the regression tests found by attacking the webhook and runner."""

ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,language,creditor
ACC-0001,Alice Smith,+15555550101,500.00,30,120.00,en,Acme Bank
ACC-0002,Bob Li,+15555550102,800.00,30,200.00,zh,Acme Bank
ACC-0003,Carol A,+15555550103,300.00,30,100.00,en,Acme Bank
ACC-0004,Carol B,+15555550103,900.00,30,400.00,en,Other Bank
"""
