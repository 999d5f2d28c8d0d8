import torch

from strl.bench.original_finetune_step import original_classification_step, strl_classification_step


def seeded(seed, fn, *args):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return fn(*args)


def test_reference_and_strl_steps_agree_in_float64():
    """Same weights, batch and dropout masks: the same loss and gradients, and the same weights
    after the SGD step (momentum, weight decay)."""
    original = original_classification_step(k=8, emb_dims=64, num_classes=10)
    ours = strl_classification_step(k=8, emb_dims=64, num_classes=10)
    assert len(original.reference_state_dict()) == 70
    original.model.double()
    ours.model.double()
    ours.load_reference_state_dict(original.reference_state_dict())
    gen = torch.Generator().manual_seed(0)
    points = torch.randn(4, 40, 3, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, 10, (4,), generator=gen)
    for step in range(2):
        loss_ref = seeded(step, original.loss, points, labels)
        loss_ours = seeded(step, ours.loss, points, labels)
        torch.testing.assert_close(loss_ours, loss_ref, rtol=1e-10, atol=1e-12)
        assert loss_ref.item() > 1.0
        loss_ref.backward()
        loss_ours.backward()
        ref_params = original.model.state_dict(keep_vars=True)
        for key, p in ours.model.downstream_state_dict(keep_vars=True).items():
            if isinstance(p, torch.nn.Parameter):
                torch.testing.assert_close(p.grad, ref_params[key].grad, rtol=1e-8, atol=1e-10, msg=key)
        original.optimizer.step()
        ours.optimizer.step()
        original.optimizer.zero_grad()
        ours.optimizer.zero_grad()
        ref_state = original.reference_state_dict()
        for key, value in ours.reference_state_dict().items():
            torch.testing.assert_close(value, ref_state[key], rtol=1e-8, atol=1e-10, msg=key)


def test_step_returns_the_loss_and_changes_the_weights():
    step = strl_classification_step(k=4, emb_dims=32, num_classes=5)
    before = {k: v.clone() for k, v in step.reference_state_dict().items()}
    loss = step.step(torch.randn(3, 16, 3), torch.tensor([0, 1, 4]))
    assert isinstance(loss, float) and loss > 0
    assert not torch.equal(before["linear3.weight"], step.reference_state_dict()["linear3.weight"])
