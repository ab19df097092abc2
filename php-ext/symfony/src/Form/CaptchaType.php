<?php

namespace Passgate\Symfony\Form;

use Passgate\Symfony\Validator\Captcha;
use Passgate\Symfony\WidgetRenderer;
use Passgate\Verifier;
use Symfony\Component\Form\AbstractType;
use Symfony\Component\Form\FormBuilderInterface;
use Symfony\Component\Form\FormEvent;
use Symfony\Component\Form\FormEvents;
use Symfony\Component\Form\FormInterface;
use Symfony\Component\Form\FormView;
use Symfony\Component\HttpFoundation\RequestStack;
use Symfony\Component\OptionsResolver\Options;
use Symfony\Component\OptionsResolver\OptionsResolver;

/**
 * `->add('captcha', CaptchaType::class, ['action' => 'login'])`: renders the
 * provider's widget and validates the token it posts (#[Captcha]).
 *
 * The provider's script posts the token in its own top-level field
 * (captchala_token, g-recaptcha-response, h-captcha-response,
 * cf-turnstile-response), not in the form's `login[captcha]`: the field reads
 * it from there. Unmapped; options `action`, `nonce`, `cdata`, `server_token`.
 */
final class CaptchaType extends AbstractType
{
    public function __construct(private Verifier $verifier, private RequestStack $requestStack, private WidgetRenderer $renderer)
    {
    }

    public function buildForm(FormBuilderInterface $builder, array $options): void
    {
        $builder->addEventListener(FormEvents::PRE_SUBMIT, function (FormEvent $event): void {
            $posted = $this->requestStack->getCurrentRequest()?->request->all()[$this->verifier->formField()] ?? null;
            $token = $posted ?? $event->getData();
            $event->setData(is_string($token) ? $token : null);
        });
    }

    public function buildView(FormView $view, FormInterface $form, array $options): void
    {
        $view->vars['widget_html'] = $this->renderer->render(['action' => $options['action'], 'nonce' => $options['nonce'],
            'cdata' => $options['cdata'], 'server_token' => $options['server_token']]);
    }

    public function configureOptions(OptionsResolver $resolver): void
    {
        $resolver->setDefaults([
            'action' => null,
            'nonce' => null,
            'cdata' => null,
            'server_token' => null,
            'mapped' => false,
            'label' => false,
            'compound' => false,
            'constraints' => fn (Options $options) => [new Captcha(action: $options['action'])],
        ]);
        foreach (['action', 'nonce', 'cdata', 'server_token'] as $option) {
            $resolver->setAllowedTypes($option, ['null', 'string']);
        }
    }

    public function getBlockPrefix(): string
    {
        return 'passgate_captcha';
    }
}
